// Types of the add-on build script's exported helper (the script itself is plain ESM for Node).
export interface AddonManifest {
  manifest_version: number;
  version: string;
  browser_specific_settings: { gecko: { id: string; strict_min_version: string; update_url?: string } };
  permissions: string[];
  host_permissions?: string[];
  background: { scripts: string[]; persistent?: boolean };
  action?: Record<string, unknown>;
  browser_action?: Record<string, unknown>;
  [key: string]: unknown;
}
export function manifestFor(
  base: AddonManifest,
  env: Record<string, string | undefined>,
  variant: 'mv3' | 'mv2',
): AddonManifest;
