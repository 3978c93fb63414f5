-- KEYS[1] the scope index; ARGV[1] scope, ARGV[2] the score the sweeper saw.
-- Forget the scope only if nobody touched it since (an acquire re-scores it).
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
