/* A stand-in for one function of Windows that Wine 8.0 (Debian 12) lacks: Rust's standard
 * library (1.78 and later) draws its random numbers from bcryptprimitives.dll's
 * ProcessPrng, which Wine gained only in 9.x. This DLL, placed beside the .exe under test,
 * answers it from RtlGenRandom (advapi32), which Wine has. Real Windows 10 and later have
 * the real DLL; nothing here ships. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!RtlGenRandom(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
