import { describe, expect, it } from 'vitest';
import {
  EVENT_FAMILIES,
  EVENT_TYPES,
  isEventType,
  isValidSubscription,
} from '../../../src/core/event-types.js';

describe('EVENT_TYPES', () => {
  it('is the taxonomy of DESIGN.md, in order', () => {
    expect(EVENT_TYPES).toEqual([
      'vendor.created',
      'vendor.status_changed',
      'assessment.started',
      'assessment.completed',
      'assessment.approved',
      'evaluation.flagged',
      'evidence.requested',
      'evidence.received',
      'contract.renewal_due',
      'contract.analyzed',
      'workflow.checkpoint',
      'webhook.test',
    ]);
  });

  it('derives the families', () => {
    expect(EVENT_FAMILIES).toEqual([
      'vendor',
      'assessment',
      'evaluation',
      'evidence',
      'contract',
      'workflow',
      'webhook',
    ]);
  });
});

describe('isEventType', () => {
  it.each([
    ['vendor.created', true],
    ['webhook.test', true],
    ['vendor.*', false],
    ['*', false],
    ['vendor.deleted', false],
    ['VENDOR.CREATED', false],
    [' vendor.created', false],
    ['', false],
    [42, false],
    [null, false],
  ])('%j → %s', (value, expected) => {
    expect(isEventType(value)).toBe(expected);
  });
});

describe('isValidSubscription', () => {
  it.each([
    ['vendor.created', true],
    ['contract.renewal_due', true],
    ['vendor.*', true],
    ['webhook.*', true],
    ['*', true],
    ['vendor.deleted', false],
    ['billing.*', false],
    ['vendor*', false],
    ['vendor.', false],
    ['.*', false],
    ['*.*', false],
    ['**', false],
    ['vendor.created.*', false],
    ['', false],
    [undefined, false],
    [['*'], false],
  ])('%j → %s', (value, expected) => {
    expect(isValidSubscription(value)).toBe(expected);
  });
});
