import 'i18next';
import type en from './en.json';

// English is the reference catalogue: typing keys against it turns a missing
// or misspelt key into a compile error instead of raw text on screen.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}
