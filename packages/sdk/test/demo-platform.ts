import { parseConfig, startPlatform } from '@zaehlwerk/server';
import type { TestProject } from 'vitest/node';
import type { DemoContext } from './demo-context.js';

/**
 * One demo platform for the whole suite (seeding it takes seconds): the
 * operator's API key and logins, and a simulated gateway whose 40 meters
 * send readings every 20 s, so that live streams have something to carry.
 * Tests that need the Platform object itself (its clock) start their own.
 */
export default async function setup(project: TestProject) {
  const platform = await startPlatform(
    parseConfig(
      [
        ...['--port', '0', '--mqtt-port', '0', '--log-level', 'silent'],
        ...['--demo', 'true', '--simulate-meters', '40'],
      ],
      {},
    ),
  );
  const demo = platform.demo!;
  const partner = demo.partners.find((p) => p.partnerId === demo.ids.demoPartnerId)!;
  const operator = partner.users.find((u) => u.role === 'operator')!;
  const context: DemoContext = {
    url: platform.url,
    apiKey: partner.apiKey!,
    operator: { email: operator.email, password: operator.password, partner: partner.partnerId },
    organisationId: demo.ids.demoOperatorOrganisationId,
    propertyId: demo.ids.propertyId,
    unitIds: demo.ids.unitIds,
    meterIds: demo.ids.meterIds,
  };
  project.provide('demo', context);
  return () => platform.close();
}
