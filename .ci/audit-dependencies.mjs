// Dependency audit of the production dependencies (`npm audit --omit=dev`): fails on a high or
// critical advisory. Where the registry refuses the audit endpoint (the proxy on these machines
// answers 405 to its POST, and OSV.dev, which osv-scanner and its offline database need, is out of
// reach) it says so and does not fail: see "Dependency audit" in the README.
import { execFile } from 'node:child_process';

execFile('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout) => {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    report = { message: `npm audit printed no report: ${stdout.slice(0, 200)}` };
  }
  if (!report.metadata) {
    console.log(`Dependency audit unavailable here (${report.message ?? 'no advisories endpoint'}); not run.`);
    return;
  }
  const { high = 0, critical = 0, moderate = 0, low = 0 } = report.metadata.vulnerabilities;
  console.log(`Dependency audit: ${critical} critical, ${high} high, ${moderate} moderate, ${low} low advisories in production dependencies`);
  if (high + critical > 0) {
    for (const [name, finding] of Object.entries(report.vulnerabilities ?? {})) console.log(`  ${finding.severity}: ${name} ${finding.range}`);
    process.exitCode = 1;
  }
});
