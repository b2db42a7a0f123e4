// Scopes: parsing of the CLI syntax and who may see which level (table-driven).
import { describe, expect, it } from 'vitest';
import { canSee, formatScope, parseScope, type Placement, type Scope } from '../../src/server/auth/scope.ts';

const national: Placement = { department: null, service: null };
const dep67: Placement = { department: '67', service: null };
const dep75: Placement = { department: '75', service: null };
const sip67: Placement = { department: '67', service: 'SIP67' };
const sie67: Placement = { department: '67', service: 'SIE67' };
const sip75: Placement = { department: '75', service: 'SIP75' };
const unattached: Placement = { department: null, service: null };

describe('canSee', () => {
  const cases: [string, Scope, Placement, boolean][] = [
    ['national sees the nation', { level: 'national' }, national, true],
    ['national sees any department', { level: 'national' }, dep75, true],
    ['national sees unattached BALFs', { level: 'national' }, unattached, true],
    ['department sees itself', { level: 'department', code: '67' }, dep67, true],
    ['department sees its services and BALFs', { level: 'department', code: '67' }, sip67, true],
    ['department does not see another department', { level: 'department', code: '67' }, dep75, false],
    [
      'department does not see another department’s service',
      { level: 'department', code: '67' },
      sip75,
      false,
    ],
    ['department does not see the nation', { level: 'department', code: '67' }, national, false],
    ['department does not see unattached BALFs', { level: 'department', code: '67' }, unattached, false],
    ['service sees itself and its BALFs', { level: 'service', code: 'SIP67' }, sip67, true],
    ['service does not see a sibling service', { level: 'service', code: 'SIP67' }, sie67, false],
    ['service does not see its department', { level: 'service', code: 'SIP67' }, dep67, false],
    ['service does not see the nation', { level: 'service', code: 'SIP67' }, national, false],
  ];
  it.each(cases)('%s', (_name, scope, placement, expected) => {
    expect(canSee(scope, placement)).toBe(expected);
  });
});

describe('parseScope', () => {
  it.each([
    ['national', { level: 'national' }],
    ['department:67', { level: 'department', code: '67' }],
    ['department:075', { level: 'department', code: '75' }],
    ['department:1', { level: 'department', code: '01' }],
    ['department:2a', { level: 'department', code: '2A' }],
    ['department:974', { level: 'department', code: '974' }],
    ['service:SIP-0670101', { level: 'service', code: 'SIP-0670101' }],
  ] as const)('%s', (text, scope) => {
    expect(parseScope(text)).toEqual(scope);
    expect(parseScope(formatScope(scope))).toEqual(scope);
  });

  it.each([
    '',
    'nation',
    'national:75',
    'department:',
    'department:96',
    'department:abc',
    'dept:67',
    'service:',
  ])('refuses %j with a French message', (text) => {
    expect(() => parseScope(text)).toThrow(/Portée invalide/);
  });

  it('refuses a service scope where only national/department are allowed (tokens)', () => {
    expect(() => parseScope('service:X', ['national', 'department'])).toThrow(
      /attendu national, department:<code>/,
    );
  });
});
