-- KEYS[1] stream, KEYS[2] sequence counter (one hash tag: the channel)
-- ARGV[1] pub/sub channel, [2] window, [3] retention (ms), then for each event its type
-- as a JSON string and its data JSON. Numbering, logging and fan-out happen as one step,
-- in order; the events' numbers are returned.
local seqs = {}
for index = 4, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[2])
  local payload = '{"seq":' .. seq .. ',"type":' .. ARGV[index] .. ',"data":' .. ARGV[index + 1] .. '}'
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '0-' .. seq, 'p', payload)
  redis.call('PUBLISH', ARGV[1], payload)
  table.insert(seqs, seq)
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return seqs
