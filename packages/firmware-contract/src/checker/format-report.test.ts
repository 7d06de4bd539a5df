import { describe, expect, it } from 'vitest';
import { topics } from '../topics.js';
import { checkCapture } from './check-capture.js';
import { decryptedFrame, frameOf, goodCapture, THING } from './checker-test-kit.js';
import { formatReport } from './format-report.js';

describe('formatReport', () => {
  it('prints one line per clause and a closing summary for a conforming gateway', () => {
    const text = formatReport(checkCapture(goodCapture().text()));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `Conformance of ${THING} to the firmware contract v1, from a capture of 10 lines (10 of the gateway)`,
    );
    expect(text).toMatch(/^3\.1 {3}PASS {10}Telegrams through Basic Ingest — 5 batches/m);
    expect(text).toMatch(/^2\.5 {3}NOT OBSERVED {2}Reconnect backoff — judged only live/m);
    expect(lines.at(-1)).toMatch(
      /^\d+ passed, 0 failed, \d+ not observed: CONFORMS as far as observed$/,
    );
  });

  it('indents each finding under its clause with where, what was expected and what was found', () => {
    const c = goodCapture();
    const frame = {
      ...frameOf('hca-sontex-mode5', c.now),
      frame: decryptedFrame('hca-sontex-mode5'),
    };
    c.batch([frame]);
    const text = formatReport(checkCapture(c.text()));
    expect(text).toContain(
      [
        '10.1  FAIL          Frames as received, never decrypted — 1 frame decrypted before forwarding',
        `                    - line 11, ${topics.telegrams(THING)}, gatewaySeq 105, frame 0: the frame announces security mode 5 but its payload is plaintext: decrypted before forwarding`,
        '                        expected: the ciphertext the meter sent',
        '                        found:    a decrypted payload (2F2F fillers or a matching PayloadCRC)',
      ].join('\n'),
    );
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/, 1 failed, .*: DOES NOT CONFORM$/);
  });

  it('says why nothing was judged, and lists unreadable lines', () => {
    expect(formatReport(checkCapture(''))).toContain(
      'Could not judge the gateway: the capture holds no lines',
    );
    const text = formatReport(checkCapture(`${goodCapture().text()}not json\n`));
    expect(text).toContain('1 line of the capture could not be read (not judged):');
    expect(text).toContain('  - line 11: not a capture line: not JSON');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/INPUT INCOMPLETE$/);
  });
});
