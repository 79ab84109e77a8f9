/*
 * exitcodes.h - the exit statuses of every rftkit program, named once.
 *
 * They follow BSD sysexits(3) so that shell scripts and cron wrappers can tell
 * "fix your input" from "try again later".  Documented in rftkit(7) and README.
 */
#ifndef RFT_EXITCODES_H
#define RFT_EXITCODES_H

enum rft_exit {
	RFT_EX_OK          = 0,   /* success */
	RFT_EX_FAIL        = 1,   /* a check the user asked for did not pass */
	RFT_EX_USAGE       = 64,  /* bad command line */
	RFT_EX_DATA        = 65,  /* bad input data (names file:line) */
	RFT_EX_NOINPUT     = 66,  /* an input file is missing or unreadable */
	RFT_EX_UNAVAILABLE = 69,  /* a service or dependency is not there */
	RFT_EX_SOFTWARE    = 70,  /* internal error: a bug, please report */
	RFT_EX_IOERR       = 74,  /* read or write failed */
	RFT_EX_TEMPFAIL    = 75,  /* temporary failure: retry later */
	RFT_EX_NOPERM      = 77,  /* refused: a wrong key, no access, no quota */
	RFT_EX_CONFIG      = 78,  /* bad configuration file */
	RFT_EX_PIPE        = 141  /* reader of stdout went away (128 + SIGPIPE) */
};

#endif
