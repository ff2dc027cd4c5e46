-- Being named among the top referrers (the weekly digest, the founders' health view) is opt-in:
-- `/referral showcase`. Milestone announcements keep their own switch (`announce`).
ALTER TABLE referral_member
    ADD COLUMN showcase INTEGER NOT NULL DEFAULT 0 CHECK (showcase IN (0, 1));
