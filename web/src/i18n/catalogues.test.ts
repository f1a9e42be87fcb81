import { describe, expect, it } from 'vitest';
import en from './en.json';
import ko from './ko.json';

type Catalogue = { readonly [key: string]: string | Catalogue };

function leafEntries(catalogue: Catalogue, prefix = ''): [key: string, value: string][] {
  return Object.entries(catalogue).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return typeof value === 'string' ? [[path, value]] : leafEntries(value, path);
  });
}

function markupTags(text: string): string[] {
  return [...text.matchAll(/<\/?(\w+)\s*\/?>/g)].map((match) => match[0]).sort();
}

function interpolations(text: string): string[] {
  return [...text.matchAll(/{{\s*(\w+)\s*}}/g)].map((match) => match[1] ?? '').sort();
}

describe('translation catalogues', () => {
  const english = new Map(leafEntries(en));
  const korean = new Map(leafEntries(ko));

  it('en.json and ko.json define exactly the same keys', () => {
    expect([...korean.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('has no empty translations', () => {
    const empty = [...english, ...korean].filter(([, value]) => value.trim() === '');
    expect(empty).toEqual([]);
  });

  it('uses the same interpolation variables in both languages', () => {
    for (const [key, englishText] of english) {
      expect(interpolations(korean.get(key) ?? ''), key).toEqual(interpolations(englishText));
    }
  });

  // <Trans> fills tags with components (links): a tag missing in one language loses its link there.
  it('uses the same markup tags in both languages', () => {
    for (const [key, englishText] of english) {
      expect(markupTags(korean.get(key) ?? ''), key).toEqual(markupTags(englishText));
    }
  });
});
