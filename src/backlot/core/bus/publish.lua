-- KEYS[1] stream, KEYS[2] sequence counter (one hash tag: the channel)
-- ARGV[1] pub/sub channel, [2] event type as JSON string, [3] data JSON, [4] window,
-- [5] retention (ms). Numbering, logging and fan-out happen as one step, in order.
local seq = redis.call('INCR', KEYS[2])
local payload = '{"seq":' .. seq .. ',"type":' .. ARGV[2] .. ',"data":' .. ARGV[3] .. '}'
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], '0-' .. seq, 'p', payload)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[1], payload)
return seq
