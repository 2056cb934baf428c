/** Open a checkpoint for generation: the model through its architecture plugin, and the chat template it is
 *  talked to with (see @class-it/instruct `generationTemplate`). */
import path from 'node:path';
import { ClassItError, canGenerate, type PluginRegistry, type TextGenerator, type TrainableModel } from '@class-it/core';
import { generationTemplate, type ChatTemplate } from '@class-it/instruct';
import { isHubModelUri } from '@class-it/data-sources';
import { loadModel } from '../run/load-model.js';

export interface Generator {
  model: TrainableModel & TextGenerator;
  template: ChatTemplate;
  /** The model's name for clients: `<owner>/<name>` of a Hub model, else the directory's name. */
  name: string;
}

/** `dir`: the checkpoint folder; `ref`: what the user named it by (an hf:// reference names the model for clients). */
export async function loadGenerator(registry: PluginRegistry, dir: string, backend = 'auto', ref?: string): Promise<Generator> {
  const model = await loadModel(registry, dir, backend);
  if (!canGenerate(model)) {
    model.dispose();
    throw new ClassItError(`the ${model.architecture} model loaded from ${dir} cannot generate text (its runtime offers no generate)`);
  }
  const template = await generationTemplate(dir, model.tokenizer);
  const name = ref && isHubModelUri(ref) ? ref.slice('hf://'.length) : path.basename(path.resolve(dir));
  return { model, template, name };
}
