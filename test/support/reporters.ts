// Adds a JSON report per suite when SUIVI_TEST_REPORT_DIR is set, so .ci/run can print one summary line.
type ReporterSpec = string | [string, Record<string, unknown>];

export function reporters(suite: string): ReporterSpec[] {
  const dir = process.env['SUIVI_TEST_REPORT_DIR'];
  const list: ReporterSpec[] = ['default'];
  if (dir) list.push(['json', { outputFile: `${dir}/${suite}.json` }]);
  return list;
}
