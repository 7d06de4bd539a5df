import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../../test/corpus.js';
import { inputFromTelegram } from '../../../test/proprietary-driver-support.js';
import { proprietaryDrivers } from './index.js';

const EXPECTED_DRIVER: Record<string, string> = {
  izar: 'diehl-izar-prios',
  izarv2: 'diehl-izar-prios',
  apatorna1: 'apator-na1',
  fhkvdataiii: 'techem-fhkv-data-iii',
  apatoreitn: 'apator-e-itn-30',
  mkradio3a: 'techem-mkradio3a',
  mkradio4: 'techem-mkradio4',
  compact5: 'techem-compact5',
  vario451: 'techem-vario451',
  apator08: 'apator-at-wmbus-08',
  apator172: 'apator-at-wmbus-17-2',
};

describe('proprietaryDrivers', () => {
  it('has unique names', () => {
    const names = proprietaryDrivers.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('picks exactly the right driver for every wireless corpus telegram, and none for the others', () => {
    for (const c of readCorpus()) {
      if (!c.header.link.startsWith('wireless')) continue;
      const { frame } = inputFromTelegram(c.telegram_hex);
      const matching = proprietaryDrivers
        .filter((d) => d.matches(frame.link, frame.payloadCi))
        .map((d) => d.name);
      const driver = (c as unknown as { driver: string }).driver;
      const want = EXPECTED_DRIVER[driver];
      expect(matching, c.id).toEqual(want === undefined ? [] : [want]);
    }
  });
});
