// Byte-compile wheels with the very Python that will run them (Pyodide, under Node), so the
// browser imports bytecode instead of compiling IPython & co. at every kernel start.
//   node scripts/lite_pyc.mjs PYODIDE_DIR WHEEL...      (wheels inside PYODIDE_DIR, rewritten in place)
// The sources stay beside the bytecode (tracebacks show them); the .pyc files are "unchecked-hash"
// (PEP 552): used as they are, since unpacking a wheel does not keep the sources' times.
import { pathToFileURL } from "node:url";

const [dir, ...wheels] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${dir}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${dir}/` });
py.mountNodeFS("/dist", dir);
py.globals.set("WHEELS", wheels);
py.runPython(`
import compileall, os, py_compile, shutil, tempfile, zipfile
for name in WHEELS.to_py():
    path = "/dist/" + name
    work = tempfile.mkdtemp()
    with zipfile.ZipFile(path) as zf:
        zf.extractall(work)
    compileall.compile_dir(work, quiet=2, workers=1,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    with zipfile.ZipFile(path + ".new", "w", zipfile.ZIP_DEFLATED) as out:
        for root, dirs, files in os.walk(work):
            dirs.sort()
            for file in sorted(files):
                full = os.path.join(root, file)
                out.write(full, os.path.relpath(full, work))
    os.replace(path + ".new", path)
    shutil.rmtree(work)
`);
console.log(`lite_pyc: byte-compiled ${wheels.length} wheels`);
