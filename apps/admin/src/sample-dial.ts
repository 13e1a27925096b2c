import { randomBytes } from 'node:crypto';
import type { DialInput } from '@outboundiq/core';

/**
 * The dial "Send a test dial" publishes: shaped like a real one, every field of the doc's DialEvent
 * filled, and marked as a test where a receiver would look first (callId, campaign, agent).
 */
export function sampleDial(companySlug: string, now: Date = new Date()): DialInput {
  return {
    companySlug,
    callId: `TEST_${randomBytes(6).toString('hex')}`,
    callDirection: 'outbound',
    timestamp: now,
    ani: '5551234567',
    phone: '5559876543',
    campaign: 'outboundIQ test dial',
    campaignInternalId: 'outboundiq-test',
    agent: 'outboundIQ test',
    disposition: 'Test',
    dispositionId: 'test',
    contact: false,
    success: false,
    isSystemDispo: true,
    totalDialAttempts: 1,
  };
}
