"""fix-broken-config: the pristine service check passes on the agent's config."""
import subprocess, sys

r = subprocess.run(
    [sys.executable, "-I", "/.cordon/grader/check-service", "/workspace"],
    capture_output=True, text=True, timeout=30,
)
out = r.stdout.strip().splitlines()
for line in out[:20]:
    print(line)
print(1 if r.returncode == 0 and out[-1:] == ["OK"] else 0)
