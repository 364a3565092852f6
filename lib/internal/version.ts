/**
 * This package's version, as `package.json` says (a unit test keeps the two equal): the embedded
 * broker names itself with it in CONNECTED's `server` header.
 */
export const PACKAGE_VERSION = '0.1.0';
