"""cleanup-script-no-cron: run the agent's cleanup.sh on a fresh tree in /tmp and check what it
removed; any cron/at/systemd scheduling scores 0. The script runs in its own session with
output discarded, and every process it leaves is killed before the score is printed, so it
cannot print or forge the score line."""
import os, re, shutil, signal, subprocess, time

W = "/workspace"
SCRIPT = os.path.join(W, "cleanup.sh")
DAY = 86400
SCHEDULERS = re.compile(r"crontab|/etc/cron|cron\.d|systemd-run|OnCalendar|\.timer\b|(^|[;&|(]\s*)(at|batch)\s+(now|noon|midnight|\d)", re.M)

def finish(score, notes):
    for n in notes:
        print(n)
    print(score)
    raise SystemExit(0)

if os.path.islink(SCRIPT) or not os.path.isfile(SCRIPT):
    finish(0, ["cleanup.sh is missing"])
text = open(SCRIPT, encoding="utf-8", errors="replace").read()
if SCHEDULERS.search(text):
    finish(0, ["cleanup.sh schedules itself (cron, at or systemd)"])
for dirpath, dirnames, filenames in os.walk(W):
    for name in filenames + dirnames:
        if name in ("crontab", "cron.d") or name.endswith(".timer"):
            finish(0, [f"a scheduler entry was left in the workspace: {name}"])

root = "/tmp/cordon-grade/site"
shutil.rmtree("/tmp/cordon-grade", ignore_errors=True)
now = time.time()
tree = {  # path: (age in days, must survive)
    "tmp/old.log": (30, False), "tmp/deep/older.bin": (10, False), "tmp/new.log": (1, True),
    "tmp/deep/fresh.txt": (2, True), "tmp/edge.txt": (6, True),
    "cache/a.tmp": (0, False), "cache/sub/b.tmp": (40, False), "cache/page.html": (40, True),
    "cache/tmp.html": (0, True), "data/old.csv": (90, True), "data/x.tmp": (0, True), "keep.tmp": (0, True),
}
for rel, (age, _) in tree.items():
    full = os.path.join(root, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(rel + "\n")
    os.utime(full, (now - age * DAY, now - age * DAY))

proc = subprocess.Popen(
    ["/bin/sh", SCRIPT, root], cwd="/tmp", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL, start_new_session=True,
    env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"},
)
try:
    proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    pass
# Kill everything but this process and its ancestors: stragglers could forge the score line.
keep, pid = {os.getpid()}, os.getpid()
while pid > 1:
    with open(f"/proc/{pid}/stat") as f:
        pid = int(f.read().rsplit(")", 1)[1].split()[1])
    keep.add(pid)
for _ in range(3):
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.05)
proc.poll()

checks, fails = 0, []
for rel, (age, survive) in tree.items():
    checks += 1
    exists = os.path.isfile(os.path.join(root, rel))
    if survive and not exists:
        fails.append(f"{rel} (age {age} d) should have been kept")
    if not survive and exists:
        fails.append(f"{rel} (age {age} d) should have been deleted")
for d in ("tmp", "tmp/deep", "cache", "cache/sub", "data"):
    checks += 1
    if not os.path.isdir(os.path.join(root, d)):
        fails.append(f"directory {d} was removed")
finish(round((checks - len(fails)) / checks, 4), fails)
