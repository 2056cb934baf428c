export { loadRunResults, loadCell, loadEvalDir, loadTrainingMetrics } from './load.js';
export * from './analysis.js';
export { GLUE_TASKS, familyOf, measuresOf, metricValue, onPercentScale, macroDefinitions, type Measure, type MeasureFamily, type MacroDefinition } from './measures.js';
export { mean, standardDeviation, quantile, zScores, summarize, boxStats, type Summary, type BoxStats } from './stats.js';
export { renderMarkdown, renderCsvFiles } from './tables.js';
export { renderHtml } from './html.js';
export { modelFigures, type Figure } from './figures.js';
export { MarkdownHtmlReporter, builtinReporters } from './reporter.js';
export { writeRunReport, type WriteRunReportOptions } from './run-report.js';
