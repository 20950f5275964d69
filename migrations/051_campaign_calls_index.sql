-- The campaign's calls in time order (GET /v1/campaigns/:id/calls, concurrency checks).
create index calls_campaign_created on calls(campaign_id, created_at);
