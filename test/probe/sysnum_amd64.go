//go:build linux

package main

// Syscall numbers from the kernel's x86_64 table; the syscall package lacks the newer ones.
const (
	sysRead           = 0
	sysClose          = 3
	sysIoctl          = 16
	sysRtSigprocmask  = 14
	sysNanosleep      = 35
	sysGetpid         = 39
	sysClone          = 56
	sysWait4          = 61
	sysKill           = 62
	sysGettimeofday   = 96
	sysPtrace         = 101
	sysSetuid         = 105
	sysSetgid         = 106
	sysPersonality    = 135
	sysGetpriority    = 140
	sysPivotRoot      = 155
	sysChroot         = 161
	sysSettimeofday   = 164
	sysMount          = 165
	sysUmount2        = 166
	sysReboot         = 169
	sysDeleteModule   = 176
	sysGettid         = 186
	sysClockSettime   = 227
	sysClockGettime   = 228
	sysExitGroup      = 231
	sysKexecLoad      = 246
	sysAddKey         = 248
	sysKeyctl         = 250
	sysUnshare        = 272
	sysPerfEventOpen  = 298
	sysPrlimit64      = 302
	sysOpenByHandleAt = 304
	sysSetns          = 308
	sysProcessVMReadv = 310
	sysFinitModule    = 313
	sysMemfdCreate    = 319
	sysBpf            = 321
	sysUserfaultfd    = 323
	sysIoUringSetup   = 425
	sysClone3         = 435
)
