//go:build linux

package main

// Syscall numbers from the kernel's generic table used by arm64; the syscall package lacks the
// newer ones.
const (
	sysRead           = 63
	sysClose          = 57
	sysIoctl          = 29
	sysRtSigprocmask  = 135
	sysNanosleep      = 101
	sysGetpid         = 172
	sysClone          = 220
	sysWait4          = 260
	sysKill           = 129
	sysGettimeofday   = 169
	sysPtrace         = 117
	sysSetuid         = 146
	sysSetgid         = 144
	sysPersonality    = 92
	sysGetpriority    = 141
	sysPivotRoot      = 41
	sysChroot         = 51
	sysSettimeofday   = 170
	sysMount          = 40
	sysUmount2        = 39
	sysReboot         = 142
	sysDeleteModule   = 106
	sysGettid         = 178
	sysClockSettime   = 112
	sysClockGettime   = 113
	sysExitGroup      = 94
	sysKexecLoad      = 104
	sysAddKey         = 217
	sysKeyctl         = 219
	sysUnshare        = 97
	sysPerfEventOpen  = 241
	sysPrlimit64      = 261
	sysOpenByHandleAt = 265
	sysSetns          = 268
	sysProcessVMReadv = 270
	sysFinitModule    = 273
	sysMemfdCreate    = 279
	sysBpf            = 280
	sysUserfaultfd    = 282
	sysIoUringSetup   = 425
	sysClone3         = 435
)
