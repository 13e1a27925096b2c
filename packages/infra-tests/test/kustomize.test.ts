import { describe, expect, it } from '@jest/globals';
import { checkKubectl, type Run } from '../src/kustomize.js';

/** A stand-in kubectl: answers `version --client --output=json` with `answer`, or throws it. */
const kubectl = (answer: object | Error): Run => () => {
  if (answer instanceof Error) throw answer;
  return JSON.stringify(answer);
};

describe('checkKubectl: the suite cannot pass without a real kustomize', () => {
  it('accepts a kubectl that carries kustomize v5', () => {
    expect(checkKubectl(kubectl({ clientVersion: { gitVersion: 'v1.32.3' }, kustomizeVersion: 'v5.5.0' }))).toBe('v5.5.0');
  });

  it('fails naming what to install when kubectl is missing', () => {
    const missing = Object.assign(new Error('spawnSync kubectl ENOENT'), { code: 'ENOENT' });
    expect(() => checkKubectl(kubectl(missing))).toThrow(/kubectl not found: .*Install kubectl/);
  });

  it('fails when kubectl cannot run, with what it printed', () => {
    const broken = Object.assign(new Error('Command failed'), { status: 1, stderr: 'error while loading shared libraries' });
    expect(() => checkKubectl(kubectl(broken))).toThrow(/failed \(error while loading shared libraries\)/);
  });

  it('fails on a kubectl whose kustomize is not v5 (or that has none)', () => {
    expect(() => checkKubectl(kubectl({ kustomizeVersion: 'v4.5.7' }))).toThrow(/carries kustomize v4\.5\.7, not v5/);
    expect(() => checkKubectl(kubectl({ clientVersion: {} }))).toThrow(/carries kustomize \(none\), not v5/);
  });
});

describe('the real one', () => {
  it('is installed here', () => {
    expect(checkKubectl()).toMatch(/^v5\./);
  });
});
