/**
 * Chat-template parity with Hugging Face: our renderer (@huggingface/jinja) and Python jinja2 configured as
 * transformers' `apply_chat_template` configures it (sandboxed, trim_blocks, lstrip_blocks) give the same text.
 * Needs Python with jinja2 (the repo's .venv or python3); skipped loudly otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES, ChatTemplate } from '../src/formatting/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const candidates = [path.join(repoRoot, '.venv/bin/python'), 'python3'];
const python = candidates.find((p) => (p.includes('/') ? existsSync(p) : true) && spawnSync(p, ['-c', 'import jinja2'], { stdio: 'ignore' }).status === 0);
if (!python) console.warn(`SKIPPED: chat-template parity with HF: no Python with jinja2 (tried ${candidates.join(', ')})`);

const PY = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.exceptions import TemplateError
def raise_exception(message):
    raise TemplateError(message)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals["raise_exception"] = raise_exception
cases = json.load(sys.stdin)
out = [env.from_string(c["template"]).render(messages=c["messages"], add_generation_prompt=c["agp"], bos_token="<s>", eos_token="</s>") for c in cases]
print(json.dumps(out))
`;

const CUSTOM = "{% for message in messages %}\n  {% if message['role'] == 'user' %}\n[INST] {{ message['content'] | trim }} [/INST]\n  {% else %}\n{{ message['content'] }}{{ eos_token }}\n  {% endif %}\n{% endfor %}";

describe.skipIf(!python)('chat templates render as transformers renders them', () => {
  it('matches Python jinja2 with HF settings on the built-in and a custom template', () => {
    const conversations = [
      [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }],
      [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '  spaced  ' }, { role: 'assistant', content: 'a\nb' }, { role: 'user', content: 'Bye' }],
    ];
    const templates = { ...BUILTIN_TEMPLATES, custom: CUSTOM };
    const cases = Object.entries(templates).flatMap(([name, template]) =>
      conversations.flatMap((messages) => [false, true].map((agp) => ({ name, template, messages, agp }))));
    const expected = JSON.parse(execFileSync(python!, ['-c', PY], { input: JSON.stringify(cases), encoding: 'utf8' })) as string[];
    const ours = cases.map((c) => new ChatTemplate(c.template, c.name).render(c.messages, { bos_token: '<s>', eos_token: '</s>', addGenerationPrompt: c.agp }));
    expect(ours).toEqual(expected);
  });
});
