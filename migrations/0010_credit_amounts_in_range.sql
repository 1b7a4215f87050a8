-- fluxbot schema 10: credit limits stored before amounts were checked where they are typed
-- (bot/credits.py: 0 to 1,000,000,000 credits) are brought into that range. A larger limit made
-- every hold of its scope fail (its micro-credits do not fit SQLite's 64-bit integer) and `1E+28`
-- broke /quota; "-0" was shown as "-0". The largest allowed amount keeps the admin's intent.
UPDATE quota_limits SET amount = '1000000000'
    WHERE amount IS NOT NULL AND CAST(amount AS REAL) > 1000000000;
UPDATE quota_limits SET amount = '0'
    WHERE amount IS NOT NULL AND CAST(amount AS REAL) = 0 AND amount <> '0';
