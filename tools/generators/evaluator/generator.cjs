// Nx generator: `npx nx g @class-it/tools:evaluator <name>` creates packages/eval-zeroshot/<name>, a complete
// evaluator plugin package (manifest, build, test, README) that `class-it plugins` discovers once built.
const path = require('node:path');
const { generateFiles, joinPathFragments, readJson, formatFiles } = require('@nx/devkit');

function names(name) {
  const parts = name.split('-');
  return {
    name,
    task: parts.join('_'),
    className: parts.map((p) => p[0].toUpperCase() + p.slice(1)).join('') + 'Evaluator',
  };
}

async function evaluatorGenerator(tree, options) {
  if (!/^[a-z][a-z0-9-]*$/.test(options.name)) {
    throw new Error(`evaluator name must be kebab-case (got '${options.name}')`);
  }
  const directory = options.directory || 'packages/eval-zeroshot';
  const projectRoot = joinPathFragments(directory, options.name);
  if (tree.exists(joinPathFragments(projectRoot, 'package.json'))) {
    throw new Error(`${projectRoot} already exists`);
  }
  let coreVersion = '0.1.0';
  if (tree.exists('packages/core/package.json')) coreVersion = readJson(tree, 'packages/core/package.json').version;
  const depth = projectRoot.split('/').length;
  generateFiles(tree, path.join(__dirname, 'files'), projectRoot, {
    ...names(options.name),
    description: options.description || 'A minimal-pair zero-shot benchmark',
    coreVersion,
    rootOffset: '../'.repeat(depth),
    tmpl: '',
  });
  await formatFiles(tree);
  return () => {
    console.log(`Created ${projectRoot}. Next: npm install (links the workspace), then npx nx build @class-it/eval-${options.name}`);
  };
}

module.exports = evaluatorGenerator;
module.exports.default = evaluatorGenerator;
