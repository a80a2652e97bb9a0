-- 0018_referral_clash_index: a referral whose winning generation holds two different terminal states
-- (one worker recorded it completed while another, offline, recorded it failed) has always been flagged
-- for review (referral_state.review, core/apply.c); `cairn conflicts`, `status` and `contact list` now
-- list and count it with the other conflicts. This index finds the open ones at the cost of what is open,
-- not of every referral. A struck referral (entered in error) is moot.
CREATE INDEX IF NOT EXISTS referral_state_clash ON referral_state (referral) WHERE review AND NOT struck;
