/**
 * Versions on the wire (RFC 7644 §3.14): a resource at version n has the weak ETag `W/"n"`, its
 * `meta.version` too. The directory only knows version numbers; this is where they become tags.
 */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** A tag naming a version the service issued, weak or (as some clients send it back) strong. */
const VERSION_TAG = /^(?:W\/)?"(0|[1-9]\d{0,14})"$/;

/**
 * The versions an If-Match header accepts: undefined when it sets no condition (absent, empty or
 * `*`); tags that name no version the service issued match nothing, so only those are dropped.
 */
export function expectedVersionsOf(ifMatch: string | undefined): number[] | undefined {
  if (!ifMatch || ifMatch.trim() === '*') return undefined;
  return ifMatch.split(',').flatMap((tag) => {
    const version = VERSION_TAG.exec(tag.trim())?.[1];
    return version === undefined ? [] : [Number(version)];
  });
}

/** If-None-Match: whether the client already holds this version (304). */
export function holdsVersion(ifNoneMatch: string | undefined, version: number): boolean {
  return ifNoneMatch?.split(',').some((tag) => tag.trim() === etagOf(version)) ?? false;
}
