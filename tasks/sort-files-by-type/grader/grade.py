"""sort-files-by-type: each manifest file sits in its folder, unchanged; nothing loose is left."""
import hashlib, json, os

W = "/workspace"
manifest = json.load(open("/.cordon/grader/data/manifest.json"))

def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

checks, fails = 0, []
for item in manifest:
    checks += 1
    target = os.path.join(W, item["folder"], item["name"])
    if os.path.islink(target) or not os.path.isfile(target):
        fails.append(f"{item['folder']}/{item['name']} missing")
    elif sha(target) != item["sha256"]:
        fails.append(f"{item['folder']}/{item['name']} changed")
loose = [n for n in os.listdir(W) if not n.startswith(".") and not os.path.isdir(os.path.join(W, n))]
checks += 1
if loose:
    fails.append(f"loose files left: {', '.join(sorted(loose)[:5])}")
for line in fails:
    print(line)
print(round((checks - len(fails)) / checks, 4))
