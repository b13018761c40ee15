import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
// A YAML parser for the manifests, installed for the tests only (tests/oracles/yaml).
import { parse, parseAllDocuments } from '../../oracles/yaml/node_modules/yaml/dist/index.js';
import { loadApp } from '../../../src/cli/main.js';
import { covet, root, STARTED, stopped } from '../cli/helpers.js';

const dir = `${root}examples/deploy/`;
const read = (path: string) => readFileSync(dir + path, 'utf8');
// Parsed YAML: checked by the assertions themselves.
type Any = any;
const yaml = (path: string) => {
  const docs = parseAllDocuments(read(path));
  for (const d of docs) assert.deepEqual(d.errors, [], `${path} parses`);
  return parse(read(path)) as Any;
};

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
}

function dockerfile(): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const text = read('Dockerfile').replace(/\\\n/g, ' ');
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const op = m[1] ?? '';
    if (op === 'FROM') stage++;
    out.push({ op, args: (m[2] ?? '').trim(), stage });
  }
  return out;
}

/** The JSON-array (exec) form of CMD/HEALTHCHECK CMD. */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}

describe('examples/deploy', { timeout: 180_000 }, () => {
  const ins = dockerfile();
  const runtime = ins.filter((i) => i.stage === Math.max(...ins.map((x) => x.stage)));
  const cmd = execForm(runtime.find((i) => i.op === 'CMD')?.args ?? '[]');

  it('Dockerfile: multi-stage, non-root user, healthcheck, covet run on the exposed port', () => {
    const froms = ins.filter((i) => i.op === 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    assert.match(froms[0]?.args ?? '', /^node:20\S* AS build$/);
    assert.ok(runtime.some((i) => i.op === 'COPY' && i.args.includes('--from=build')));
    assert.ok(!runtime.some((i) => i.op === 'RUN' && /npm (ci|install)(?!.*--omit=dev)/.test(i.args)), 'no dev install in the runtime stage');
    const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
    assert.ok(!/^(root|0)(:|$)/.test(user), `non-root USER, got ${user}`);
    assert.ok(runtime.some((i) => i.op === 'HEALTHCHECK' && i.args.includes('/health/live')));
    const expose = runtime.find((i) => i.op === 'EXPOSE')?.args;
    assert.equal(expose, '8000');
    assert.deepEqual(cmd.slice(0, 3), ['node_modules/.bin/covet', 'run', 'dist/app.js:app']);
    assert.equal(cmd[cmd.indexOf('--port') + 1], expose);
    assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
    assert.ok(read('.dockerignore').split('\n').includes('.env'));
  });

  it('Kubernetes: probes, ports, secrets and the HPA agree with each other and with the app', async () => {
    const deployment = yaml('k8s/deployment.yaml');
    const service = yaml('k8s/service.yaml');
    const secret = yaml('k8s/secret.yaml');
    const hpa = yaml('k8s/hpa.yaml');
    assert.equal(deployment.apiVersion, 'apps/v1');
    assert.equal(deployment.kind, 'Deployment');
    const spec = deployment.spec.template.spec;
    assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
    assert.equal(spec.securityContext.runAsNonRoot, true);
    const container = spec.containers[0];
    const port = container.ports[0].containerPort as unknown as number;
    assert.equal(String(port), cmd[cmd.indexOf('--port') + 1]);
    assert.equal(container.livenessProbe.httpGet.path, '/health/live');
    assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
    for (const probe of [container.livenessProbe, container.readinessProbe]) assert.equal(probe.httpGet.port, port);
    // Every secretKeyRef names a key of the Secret.
    const refs = (container.env as Any[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom.secretKeyRef);
    assert.ok(refs.length >= 2);
    for (const ref of refs) {
      assert.equal(ref.name, secret.metadata.name);
      assert.ok(Object.hasOwn(secret.stringData, ref.key as unknown as string), `secret has ${ref.key}`);
    }
    assert.equal(service.kind, 'Service');
    assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
    assert.equal(service.spec.ports[0].targetPort, port);
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual([hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name], ['Deployment', deployment.metadata.name]);
    assert.ok((hpa.spec.minReplicas as unknown as number) <= (hpa.spec.maxReplicas as unknown as number));
    assert.ok(container.resources.requests.cpu, 'the HPA needs CPU requests');
    // The probed paths are routes of the app.
    const routes = (await loadApp(`${dir}app.ts:app`)).routeTable().map((r) => `${r.method} ${r.path}`);
    assert.ok(routes.includes('GET /health/live') && routes.includes('GET /health/ready'));
    // Routing stops before the app does (preStop), and the grace period leaves room for the
    // wait and the app's drain (shutdownTimeout, 10 s).
    const [sleep, seconds] = container.lifecycle.preStop.exec.command as unknown as string[];
    assert.equal(sleep, 'sleep');
    assert.ok((spec.terminationGracePeriodSeconds as unknown as number) >= Number(seconds) + 10 + 5);
  });

  it('GitHub Actions: tests, then security-scan (SARIF) and performance-test, then the image build, push and rollout', () => {
    const wf = yaml('.github/workflows/deploy.yml');
    const steps = (wf.jobs.test.steps as Any[]).map((s) => (s.run as unknown as string | undefined) ?? (s.uses as unknown as string));
    const at = (re: RegExp) => steps.findIndex((s) => re.test(s));
    assert.ok(at(/^npm test$/) >= 0);
    assert.ok(at(/covet security-scan .*--format sarif/) > at(/^npm test$/));
    assert.ok(at(/upload-sarif/) > at(/covet security-scan/));
    assert.ok(at(/covet performance-test/) > at(/^npm test$/));
    assert.deepEqual(wf.jobs.build.needs, 'test');
    const runs = (job: string) => (wf.jobs[job].steps as Any[]).map((s) => String(s.run ?? ''));
    const build = runs('build');
    assert.ok(build.findIndex((r) => /docker push "\$IMAGE"/.test(r)) > build.findIndex((r) => /docker build -t "\$IMAGE"/.test(r)));
    assert.deepEqual(wf.jobs.deploy.needs, 'build');
    const deploy = runs('deploy');
    assert.ok(deploy.findIndex((r) => /kubectl rollout status deployment\/covet-app/.test(r)) > deploy.findIndex((r) => /kubectl set image deployment\/covet-app app="\$IMAGE"/.test(r)));
  });

  it("runs the container's command and healthcheck directly: probes answer, SIGTERM exits 0", async () => {
    // The image runs `covet run dist/app.js:app --host 0.0.0.0 --port 8000 --workers auto`;
    // here the same arguments run on the TypeScript source with 2 workers on a free port of
    // 127.0.0.1 (a test listens on no other interface).
    const args = cmd.slice(1).map((a) => (a === 'dist/app.js:app' ? 'examples/deploy/app.ts:app' : a));
    args[args.indexOf('--host') + 1] = '127.0.0.1';
    args[args.indexOf('--port') + 1] = '0';
    args[args.indexOf('--workers') + 1] = '2';
    const cli = covet(args);
    try {
      const [, local = '', count] = await cli.waitFor(STARTED);
      assert.equal(count, '2');
      const port = new URL(local).port;
      assert.equal((await fetch(`${local}/health/live`)).status, 200);
      assert.equal((await fetch(`${local}/health/ready`)).status, 200);
      const health = execForm(runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '[]').map((a) => a.replace(':8000', `:${port}`));
      const probe = spawn(process.execPath, health.slice(1), { stdio: 'ignore' });
      assert.equal(await new Promise((r) => probe.on('exit', r)), 0);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.equal(cli.stdout().match(/listening on/g)?.length, 1, cli.stdout());
      assert.deepEqual(await stopped(cli.workers()), []);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});
