// One load into a fresh engine in a fresh page (scripts/bench-load.mjs opens it once per run, so
// every load is a first load into new wasm memory, as a user's is). `?data=FILE&how=HOW`:
//   bytes  Engine.load(bytes): the file already in the page's memory (fetched before, untimed)
//   url    Engine.loadUrl(url): from the network at its own pace, decoded as it arrives
//   blob   Engine.loadBlob(file): a file the runner picks in the file input (disk-backed), read
//          as a stream and decoded as it is read
// Then one query (COUNT of everything) to show every row answers. Sets window.loadResult.
import init, { Engine } from './pkg/apiary.js';

const params = new URLSearchParams(location.search);
const DATA = params.get('data');
const HOW = params.get('how');
const log = (s) => { document.querySelector('#log').textContent += s + '\n'; console.log(s); };

async function main() {
  const wasm = await init({ module_or_path: './pkg/apiary_bg.wasm' });
  const engine = new Engine();
  const result = { how: HOW, data: DATA, wasm_memory_before: wasm.memory.buffer.byteLength };
  let t;
  if (HOW === 'bytes') {
    const bytes = new Uint8Array(await (await fetch(DATA)).arrayBuffer());
    result.bytes = bytes.length;
    t = performance.now();
    result.rows = engine.load(DATA, bytes);
  } else if (HOW === 'url') {
    result.bytes = Number((await fetch(DATA, { method: 'HEAD' })).headers.get('content-length'));
    t = performance.now();
    result.rows = await engine.loadUrl(DATA);
  } else if (HOW === 'blob') {
    const input = document.querySelector('#file');
    window.loadReady = true;
    await new Promise((resolve) => input.addEventListener('change', resolve, { once: true }));
    const file = input.files[0];
    result.bytes = file.size;
    t = performance.now();
    result.rows = await engine.loadBlob(file);
  } else if (HOW === 'url-read' || HOW === 'blob-read') {
    // The pace of the way in alone: the body or the file read to its end in JavaScript, each
    // chunk only counted (no copy, no engine).
    let stream;
    if (HOW === 'url-read') {
      t = performance.now();
      stream = (await fetch(DATA)).body;
    } else {
      const input = document.querySelector('#file');
      window.loadReady = true;
      await new Promise((resolve) => input.addEventListener('change', resolve, { once: true }));
      t = performance.now();
      stream = input.files[0].stream();
    }
    const reader = stream.getReader();
    let n = 0;
    for (let c = await reader.read(); !c.done; c = await reader.read()) n += c.value.length;
    result.ms = performance.now() - t;
    result.bytes = n;
    result.rows = 0;
    log(JSON.stringify(result));
    return result;
  } else {
    throw new Error(`how=${HOW}?`);
  }
  result.ms = performance.now() - t;
  result.engine_ms = engine.lastLoadMs;
  result.arrow_bytes = engine.byteSize();
  result.wasm_memory_after = wasm.memory.buffer.byteLength;
  engine.setSampleRate('none'); // the demo's sample-rate column would weight COUNT
  const q = performance.now();
  const answer = JSON.parse(engine.query(JSON.stringify({ calculations: [{ op: 'COUNT' }], time_range: 999999999 })));
  result.first_query_ms = performance.now() - q;
  result.counted = answer.results.reduce((n, r) => n + r.data.COUNT, 0);
  log(JSON.stringify(result));
  return result;
}

main().then(
  (r) => { window.loadResult = r; },
  (e) => { window.loadResult = { error: String(e && e.stack || e) }; log('error: ' + e); },
);
