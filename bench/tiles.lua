-- wrk script: walks the shuffled tile list in bench/tile-paths.txt (one per line).
local paths = {}
for line in io.lines(os.getenv("TILE_PATHS") or "/tmp/assetmap-tile-paths.txt") do
  paths[#paths + 1] = line
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
