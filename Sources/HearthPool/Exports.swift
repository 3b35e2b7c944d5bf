// Calls name their cgroup limits; services see them through the pool, not the sandbox.
@_exported import struct HearthSandbox.CgroupLimits
