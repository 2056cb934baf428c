/**
 * Where AdamW's moments live and how one parameter's update runs, per engine (`AdamW` in adamw.ts picks one):
 *  - `TfjsAdamMoments` (WASM, CPU): the moments are tfjs variables and the update is written out in tfjs ops, as
 *    torch.optim.AdamW's formula reads (about fifteen element-wise passes over each parameter).
 *  - `NativeAdamMoments` (native TensorFlow): the parameter and its moments are TensorFlow resource variables and
 *    the update is TensorFlow's fused `ResourceApplyAdam` kernel (one pass over p, m, v and g), after the
 *    decoupled weight decay. At gpt-10m the tfjs form took 188 ms of a ~1.4 s training step, this one 49 ms
 *    (bench/README.md).
 * Both compute, with bias corrections b1 = 1 - beta1^t and b2 = 1 - beta2^t,
 *   m <- beta1 m + (1 - beta1) g ;  v <- beta2 v + (1 - beta2) g^2
 *   p <- p - (lr / b1) * m / (sqrt(v) / sqrt(b2) + eps)
 * ResourceApplyAdam writes the last line as p - (lr sqrt(b2) / b1) * m / (sqrt(v) + eps_hat) and the moment
 * updates as m + (g - m)(1 - beta1) (torch's own lerp form), so it is given eps_hat = eps sqrt(b2): the same
 * update up to float32 rounding (tested against the tfjs form).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAttr, nativeBackend, type NativeBackend } from '../engine/native.js';

/** The step's constants shared by every parameter's update. */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Updates so far, this one included (the t of the bias corrections). */
  t: number;
}

export interface AdamMoments {
  /** Update `p` in place from gradient `g`; `decayFactor` (1 - lr wd) scales p first when given. */
  update(name: string, p: tf.Variable, g: tf.Tensor, decayFactor: number | undefined, step: AdamStep): void;
  /** The moments of parameter `name`, read back. */
  read(name: string): { m: Float32Array; v: Float32Array };
  write(name: string, m: Float32Array, v: Float32Array): void;
  /** Start every moment from zero again. */
  reset(): void;
  dispose(): void;
}

export class TfjsAdamMoments implements AdamMoments {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(params: Map<string, tf.Variable>) {
    // In a tidy: the zero tensors the moments start from are released; the variables are kept.
    tf.tidy(() => {
      for (const [name, p] of params) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
    });
  }

  update(name: string, p: tf.Variable, g: tf.Tensor, decayFactor: number | undefined, step: AdamStep): void {
    const { lr, beta1, beta2, epsilon, t } = step;
    const bias1 = 1 - Math.pow(beta1, t);
    const bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    const m = this.m.get(name)!;
    const v = this.v.get(name)!;
    tf.tidy(() => {
      const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
      const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
      m.assign(mNew);
      v.assign(vNew);
      const decayed = decayFactor !== undefined ? tf.mul(p, decayFactor) : p;
      const denom = tf.add(tf.div(tf.sqrt(vNew), bias2Sqrt), epsilon);
      p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bias1)));
    });
  }

  read(name: string): { m: Float32Array; v: Float32Array } {
    return { m: this.m.get(name)!.dataSync() as Float32Array, v: this.v.get(name)!.dataSync() as Float32Array };
  }

  write(name: string, m: Float32Array, v: Float32Array): void {
    const mVar = this.m.get(name)!;
    tf.tidy(() => {
      mVar.assign(tf.tensor(m, mVar.shape));
      this.v.get(name)!.assign(tf.tensor(v, mVar.shape));
    });
  }

  reset(): void {
    for (const [name, m] of this.m) {
      tf.tidy(() => {
        m.assign(tf.zerosLike(m));
        this.v.get(name)!.assign(tf.zerosLike(m));
      });
    }
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
    this.m.clear();
    this.v.clear();
  }
}

/** TensorFlow resource variables of one parameter: the parameter itself and its two moments. */
interface ResourceSet {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  shape: number[];
}

/** Distinguishes the resource names of optimizers in one process. */
let nativeInstances = 0;

export class NativeAdamMoments implements AdamMoments {
  private readonly native: NativeBackend = nativeBackend();
  private readonly resources = new Map<string, ResourceSet>();

  constructor(params: Map<string, tf.Variable>) {
    const instance = nativeInstances++;
    let index = 0;
    for (const [name, p] of params) {
      const handle = (role: string) => tf.keep(this.native.executeSingleOutput('VarHandleOp', [
        nativeAttr.float32(this.native, 'dtype'), nativeAttr.shape(this.native, 'shape', p.shape),
        nativeAttr.string(this.native, 'container', ''), nativeAttr.string(this.native, 'shared_name', `class_it_adamw_${instance}_${index}_${role}`),
      ], []));
      this.resources.set(name, { p: handle('p'), m: handle('m'), v: handle('v'), shape: [...p.shape] });
      index += 1;
    }
    this.reset();
  }

  update(name: string, p: tf.Variable, g: tf.Tensor, decayFactor: number | undefined, step: AdamStep): void {
    const r = this.resources.get(name)!;
    const { lr, beta1, beta2, epsilon, t } = step;
    // The decayed copy is released before the update, so the resource holds its buffer alone and
    // ResourceApplyAdam updates it in place (a buffer still shared with the tfjs variable is copied first).
    tf.tidy(() => this.assign(r.p, decayFactor !== undefined ? tf.mul(p, decayFactor) : p));
    const updated = tf.tidy(() => {
      const scalar = (x: number) => tf.scalar(x, 'float32');
      this.native.executeMultipleOutputs('ResourceApplyAdam', [nativeAttr.float32(this.native, 'T')], [
        r.p, r.m, r.v, scalar(Math.pow(beta1, t)), scalar(Math.pow(beta2, t)), scalar(lr), scalar(beta1), scalar(beta2),
        scalar(epsilon * Math.sqrt(1 - Math.pow(beta2, t))), g,
      ], 0);
      return this.readResource(r.p);
    });
    p.assign(updated);
    updated.dispose();
  }

  read(name: string): { m: Float32Array; v: Float32Array } {
    const r = this.resources.get(name)!;
    return tf.tidy(() => ({ m: this.readResource(r.m).dataSync() as Float32Array, v: this.readResource(r.v).dataSync() as Float32Array }));
  }

  write(name: string, m: Float32Array, v: Float32Array): void {
    const r = this.resources.get(name)!;
    tf.tidy(() => {
      this.assign(r.m, tf.tensor(m, r.shape, 'float32'));
      this.assign(r.v, tf.tensor(v, r.shape, 'float32'));
    });
  }

  reset(): void {
    for (const r of this.resources.values()) {
      tf.tidy(() => {
        this.assign(r.m, tf.zeros(r.shape));
        this.assign(r.v, tf.zeros(r.shape));
      });
    }
  }

  dispose(): void {
    for (const r of this.resources.values()) {
      for (const handle of [r.p, r.m, r.v]) {
        this.native.executeMultipleOutputs('DestroyResourceOp', [nativeAttr.bool(this.native, 'ignore_lookup_error', true)], [handle], 0);
        handle.dispose();
      }
    }
    this.resources.clear();
  }

  private assign(resource: tf.Tensor, value: tf.Tensor): void {
    this.native.executeMultipleOutputs('AssignVariableOp', [nativeAttr.float32(this.native, 'dtype')], [resource, value], 0);
  }

  private readResource(resource: tf.Tensor): tf.Tensor {
    return this.native.executeSingleOutput('ReadVariableOp', [nativeAttr.float32(this.native, 'dtype')], [resource]);
  }
}
