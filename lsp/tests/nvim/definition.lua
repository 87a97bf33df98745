-- Neovim end-to-end check of `skelc lsp`, run by scripts/nvim-lsp-test:
-- start the server with Neovim's built-in client, open a file with a deliberate error, wait for its
-- diagnostic, go to the definition of a `var.X` reference and check where the cursor lands.
-- Environment: SKELC (binary), SKEL_ROOT (workspace), SKEL_FILE (file to open),
-- SKEL_CODE (expected diagnostic code), SKEL_REF (reference to jump from),
-- SKEL_TARGET_FILE and SKEL_TARGET_LINE (1-based) where the jump must land.

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    io.stderr:write("nvim-lsp-test: FAIL: " .. name .. " is not set\n")
    vim.cmd("cquit 1")
  end
  return value
end

local function fail(message)
  io.stderr:write("nvim-lsp-test: FAIL: " .. message .. "\n")
  vim.cmd("cquit 1")
end

local skelc, root, file = env("SKELC"), env("SKEL_ROOT"), env("SKEL_FILE")
local code, ref = env("SKEL_CODE"), env("SKEL_REF")
local target_file, target_line = env("SKEL_TARGET_FILE"), tonumber(env("SKEL_TARGET_LINE"))

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
-- `vim.lsp.start` arrived in Neovim 0.8; Debian bookworm ships 0.7, which has the older
-- start_client + buf_attach_client pair doing the same.
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start({ name = "skel", cmd = { skelc, "lsp" }, root_dir = root })
else
  client_id = vim.lsp.start_client({ name = "skel", cmd = { skelc, "lsp" }, root_dir = root })
  if client_id then
    vim.lsp.buf_attach_client(buf, client_id)
  end
end
if not client_id then
  fail("Neovim did not start skelc lsp")
end

local function codes()
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local c = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(out, tostring(c))
  end
  return out
end

local function has_code()
  for _, c in ipairs(codes()) do
    if c == code then
      return true
    end
  end
  return false
end

if not vim.wait(20000, has_code, 50) then
  fail("no `" .. code .. "` diagnostic within 20 s (got: " .. table.concat(codes(), ", ") .. ")")
end
io.stdout:write("nvim-lsp-test: diagnostics: " .. table.concat(codes(), ", ") .. "\n")

-- Put the cursor on the name after `var.` and jump.
local line = vim.fn.search(vim.fn.escape(ref, ".[]*\\"), "w")
if line == 0 then
  fail("`" .. ref .. "` not found in " .. file)
end
local col = vim.fn.col(".") - 1 + #"var." + 1
vim.api.nvim_win_set_cursor(0, { line, col })
vim.lsp.buf.definition()
local function landed()
  return vim.api.nvim_buf_get_name(0):sub(-#target_file) == target_file
end
if not vim.wait(10000, landed, 50) then
  fail("go to definition of `" .. ref .. "` did not open " .. target_file
    .. " (still in " .. vim.api.nvim_buf_get_name(0) .. ")")
end
local row = vim.api.nvim_win_get_cursor(0)[1]
if row ~= target_line then
  fail("go to definition landed on line " .. row .. " of " .. target_file
    .. ", expected " .. target_line)
end
io.stdout:write("nvim-lsp-test: definition of " .. ref .. " -> " .. target_file .. ":" .. row .. "\n")
vim.cmd("qall!")
