// French names of levels and of what each level lists.
import type { Level } from '../core/protocol.ts';

export const levelNames: Record<Level, string> = {
  national: 'National',
  department: 'Département',
  service: 'Service',
  balf: 'BALF',
};

export const childrenTitles: Record<Level, string> = {
  national: 'Départements',
  department: 'Services',
  service: 'Boîtes aux lettres fonctionnelles',
  balf: 'Boîtes aux lettres fonctionnelles',
};

/** « des départements », « des services »…: the children of a level in a sentence. */
export const childrenInSentence: Record<Level, string> = {
  national: 'des départements',
  department: 'des services',
  service: 'des BALF',
  balf: 'des BALF',
};
