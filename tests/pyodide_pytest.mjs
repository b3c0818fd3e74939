// Run pytest on Pyodide's Python (the site's own Pyodide, under Node): node pyodide_pytest.mjs SITE REPO WHEELS FILE...
// The repository is mounted at /repo; pytest and its helpers are installed from local wheels.
import { pathToFileURL } from "node:url";

const [site, repo, wheels, ...files] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${site}/static/pyodide/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${site}/static/pyodide/` });
await py.loadPackage(["smtplearn", "micropip", "packaging", "pygments"]);
py.mountNodeFS("/repo", repo);
py.mountNodeFS("/wheels", wheels);
py.globals.set("FILES", files.map((f) => `/repo/tests/${f}`));
const rc = await py.runPythonAsync(`
import glob, sys, micropip
await micropip.install(["emfs:" + w for w in sorted(glob.glob("/wheels/*.whl"))])
import pytest
sys.path.insert(0, "/repo/tests")
print("python", sys.version.split()[0], sys.platform)
int(pytest.main(["-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir=/repo", *FILES.to_py()]))
`);
process.exitCode = rc;
