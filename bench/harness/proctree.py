"""CPU time and memory of a server's whole process tree, read from /proc.

A process's utime+stime in /proc/PID/stat already includes all of its threads, so summing over the
processes of the tree (the server's PID and every descendant) counts every thread once.
"""
import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children_map():
    """Maps each PID to the PIDs whose parent it is."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue  # exited while we looked
        # The command name is in parentheses and may contain spaces: split after the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(name))
    return children


def tree(root_pid):
    """The PIDs of root_pid and all its descendants that are alive now."""
    kids = _children_map()
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        if os.path.exists(f"/proc/{pid}"):
            pids.append(pid)
            todo.extend(kids.get(pid, []))
    return pids


def cpu_seconds(root_pid):
    """User+system CPU seconds consumed so far by the live processes of the tree."""
    total = 0
    for pid in tree(root_pid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # Fields after the command: state=0 ppid=1 ... utime=11 stime=12 (stat(5) fields 14 and 15).
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def _status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mib(root_pid, key):
    """Sum of /proc/PID/status `key` (VmHWM or VmRSS) over the tree, in MiB.

    Pages shared between processes (nginx's master and worker) are counted once per process, as a
    sum of RSS always does; estuary is one process, so its figure has no such double count.
    """
    return sum(_status_kib(pid, key) for pid in tree(root_pid)) / 1024.0


def machine_busy_seconds():
    """CPU seconds all cores spent not idle since boot (/proc/stat), to tell how much of a window
    went to processes other than the server and the load generator."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK
