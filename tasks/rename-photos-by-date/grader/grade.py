"""rename-photos-by-date: each photo carries its EXIF date as its name, bytes unchanged."""
import hashlib, json, os

W = "/workspace"
manifest = json.load(open("/.cordon/grader/data/manifest.json"))
checks, fails = 0, []
for path, digest in sorted(manifest["expected"].items()):
    checks += 1
    full = os.path.join(W, path)
    if os.path.islink(full) or not os.path.isfile(full):
        fails.append(f"{path} missing")
    elif hashlib.sha256(open(full, "rb").read()).hexdigest() != digest:
        fails.append(f"{path} is not the photo taken at that time")
photos = os.path.join(W, "photos")
left = sorted(n for n in os.listdir(photos) if n.startswith("IMG_")) if os.path.isdir(photos) else []
checks += 1
if left:
    fails.append(f"not renamed: {', '.join(left[:5])}")
for line in fails:
    print(line)
print(round((checks - len(fails)) / checks, 4))
