import { inject } from 'vitest';

/** What the suite's shared demo platform offers the tests (test/demo-platform.ts starts it). */
export interface DemoContext {
  url: string;
  /** The demo operator's API key (its organisation: organisationId). */
  apiKey: string;
  operator: { email: string; password: string; partner: string };
  organisationId: string;
  propertyId: string;
  unitIds: string[];
  meterIds: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    demo: DemoContext;
  }
}

export function demo(): DemoContext {
  return inject('demo');
}
