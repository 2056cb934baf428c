"""The FunctionDefs measured by run.sh: GPT-2 pieces (layer norm, gelu_new, pre-norm MLP block with its residual) at
width 256 and any number of rows, written as TensorFlow functions by TensorFlow 2.21's Python API (tf.function) into
<out>/<name>.fdef, with their signature names in <out>/names.json. Usage: python make_functions.py <out>"""
import json, sys
import math
import tensorflow as tf
S = tf.TensorSpec
@tf.function(input_signature=[S([None, 256]), S([256]), S([256])])
def ln(x, w, b):
    mean = tf.reduce_mean(x, -1, keepdims=True); c = x - mean; v = tf.reduce_mean(c * c, -1, keepdims=True)
    return c * tf.math.rsqrt(v + 1e-5) * w + b
@tf.function(input_signature=[S([None, 1024])])
def gelu(x):
    return (x * 0.5) * (tf.tanh((x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)) + 1)
@tf.function(input_signature=[S([None, 256]), S([256, 1024]), S([1024]), S([1024, 256]), S([256]), S([256]), S([256])])
def mlp(x, w1, b1, w2, b2, g, beta):
    mean = tf.reduce_mean(x, -1, keepdims=True); c = x - mean; v = tf.reduce_mean(c * c, -1, keepdims=True)
    h = c * tf.math.rsqrt(v + 1e-5) * g + beta
    h = tf.matmul(h, w1) + b1
    h = (h * 0.5) * (tf.tanh((h + h * h * h * 0.044715) * math.sqrt(2 / math.pi)) + 1)
    return x + tf.matmul(h, w2) + b2
out = sys.argv[1]
names = {}
for name, f in [('ln', ln), ('gelu', gelu), ('mlp', mlp)]:
    fd = f.get_concrete_function().function_def
    with open(f'{out}/{name}.fdef', 'wb') as fh:
        fh.write(fd.SerializeToString())
    names[name] = fd.signature.name
with open(f'{out}/names.json', 'w') as fh:
    json.dump(names, fh)
