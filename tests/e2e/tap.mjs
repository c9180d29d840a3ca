// Small test-runner pieces shared by the e2e scripts: TAP output and tool lookup.
import fs from 'node:fs';
import path from 'node:path';

// Runs [name, async fn] cases in order, printing TAP. Resolves to {ok}.
export async function runTap(cases) {
  console.log(`1..${cases.length}`);
  let ok = true;
  for (const [i, [name, fn]] of cases.entries()) {
    const started = Date.now();
    try {
      await fn();
      console.log(`ok ${i + 1} - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      ok = false;
      console.log(`not ok ${i + 1} - ${name}`);
      console.log(String(e.stack || e).split('\n').map((line) => '# ' + line).join('\n'));
    }
  }
  return {ok};
}

// The absolute path of `name` (a path, or a command looked up in PATH), or null.
export function findTool(name) {
  const candidates = name.includes('/') ? [name]
      : (process.env.PATH || '').split(':').map((dir) => path.join(dir, name));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch (e) {
      return false;
    }
  }) ?? null;
}
