import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes every run carries (design: Observability). */
export const SA = {
  AccountId: defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD),
  CampaignId: defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD),
  CallStatus: defineSearchAttributeKey('CallStatus', SearchAttributeType.KEYWORD),
};

/** For `temporal server start-dev --search-attribute` and TestWorkflowEnvironment. */
export const SEARCH_ATTRIBUTE_DEFS = { AccountId: 'Keyword', CampaignId: 'Keyword', CallStatus: 'Keyword' } as const;
