/** Injection tokens. Plugins are registered under the token of their kind; services under their own. */
export const TOKENS = {
  Architecture: Symbol.for('class-it.Architecture'),
  Dataset: Symbol.for('class-it.Dataset'),
  Curriculum: Symbol.for('class-it.Curriculum'),
  Evaluator: Symbol.for('class-it.Evaluator'),
  Reporter: Symbol.for('class-it.Reporter'),
  Runtime: Symbol.for('class-it.Runtime'),
  /** Services */
  Trainer: Symbol.for('class-it.Trainer'),
  ClassifierTrainer: Symbol.for('class-it.ClassifierTrainer'),
  Logger: Symbol.for('class-it.Logger'),
  Settings: Symbol.for('class-it.Settings'),
} as const;
