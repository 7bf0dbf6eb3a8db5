/* SPDX-License-Identifier: MIT */
/*
 * liburing's own functions, for liburing-ext's calls into liburing.
 *
 * The shared libraries define liburing's submission, set-up, exit and
 * buffer registration functions again (dropin.c), and a call by that
 * name from inside them would bind to those definitions, not to
 * liburing's.  Built for them (LIBURING_EXT_SHARED), LIBURING(name) is
 * liburing's own function, found once with dlsym(RTLD_NEXT); elsewhere
 * (liburing-ext.a, the patched liburing, which define nothing of
 * liburing's again) it is the function itself.
 */
#ifndef POSTRX_REAL_H
#define POSTRX_REAL_H

#ifdef LIBURING_EXT_SHARED
#include <dlfcn.h>

#define LIBURING(name) ({						\
	static typeof(&name) real_##name;				\
	if (!real_##name)						\
		real_##name = (typeof(&name))dlsym(RTLD_NEXT, #name);	\
	real_##name;							\
})
#else
#define LIBURING(name) name
#endif

#endif /* POSTRX_REAL_H */
