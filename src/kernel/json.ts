/** JSON values as the service stores and compares them (SCIM bodies, settings, audit details). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
