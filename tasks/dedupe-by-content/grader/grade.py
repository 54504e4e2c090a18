"""dedupe-by-content: the first path of each content group is kept unchanged, the rest are gone."""
import hashlib, json, os

W = "/workspace"
manifest = json.load(open("/.cordon/grader/data/manifest.json"))

checks, fails = 0, []
for path, digest in sorted(manifest["keep"].items()):
    checks += 1
    full = os.path.join(W, path)
    if os.path.islink(full) or not os.path.isfile(full):
        fails.append(f"{path} (to keep) is missing")
    elif hashlib.sha256(open(full, "rb").read()).hexdigest() != digest:
        fails.append(f"{path} (to keep) changed")
for path in sorted(manifest["remove"]):
    checks += 1
    if os.path.lexists(os.path.join(W, path)):
        fails.append(f"{path} (a duplicate) is still there")
for line in fails:
    print(line)
print(round((checks - len(fails)) / checks, 4))
