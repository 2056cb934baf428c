// Nx generator: `npx nx g @class-it/tools:evaluator <name>` creates packages/eval-zeroshot/<name>, the evaluator
// plugin package @class-it/eval-<name> (task <name>), plus the repository's LICENSE and a changeset for its first
// release. The package's files come from @class-it/create-plugin (`npm create @class-it/plugin` outside this
// repository), so both write the same plugin.
const path = require('node:path');
const { formatFiles, readJson } = require('@nx/devkit');

async function evaluatorGenerator(tree, options) {
  const { evaluatorPluginFiles } = await import('@class-it/create-plugin');
  const directory = (options.directory || 'packages/eval-zeroshot').replace(/\/+$/, '');
  const projectRoot = path.posix.join(directory, options.name);
  if (tree.exists(path.posix.join(projectRoot, 'package.json'))) throw new Error(`${projectRoot} already exists`);
  const core = tree.exists('packages/core/package.json') ? readJson(tree, 'packages/core/package.json') : {};
  const { names, files } = evaluatorPluginFiles({
    name: options.name,
    description: options.description,
    scope: '@class-it',
    mode: 'workspace',
    directory: projectRoot,
    repositoryUrl: core.repository && core.repository.url,
  });
  for (const [rel, content] of Object.entries(files)) tree.write(path.posix.join(projectRoot, rel), content);
  if (tree.exists('LICENSE')) tree.write(path.posix.join(projectRoot, 'LICENSE'), tree.read('LICENSE'));
  // a new package starts at 0.0.0: this changeset's minor releases it as 0.1.0
  tree.write(`.changeset/${names.packageName.replace(/^@[^/]+\//, '')}-first-release.md`,
    `---\n"${names.packageName}": minor\n---\n\nFirst release of ${names.packageName}: the evaluator of the task \`${names.task}\`.\n`);
  await formatFiles(tree);
  return () => {
    console.log(`Created ${projectRoot} (${names.packageName}, task ${names.task}). Next: npm install (links the workspace), ` +
      `then npx nx build ${names.packageName}`);
  };
}

module.exports = evaluatorGenerator;
module.exports.default = evaluatorGenerator;
