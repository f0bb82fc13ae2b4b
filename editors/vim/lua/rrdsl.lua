-- rrdsl for Neovim 0.7 or later: *.rrd files are filetype rrdsl (highlighting from
-- syntax/rrdsl.vim), and the rrdsl language server (`rrdsl lsp`) is started for them.
--
--   vim.opt.runtimepath:append("/path/to/rrdsl/editors/vim")
--   require("rrdsl").setup()                          -- or setup({ cmd = { "/path/to/rrdsl", "lsp" } })
--
-- Neovim 0.8 and later start the server with vim.lsp.start (one per root folder); 0.7 with
-- vim.lsp.start_client and vim.lsp.buf_attach_client.
local M = {}

local function root_dir(buf)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":p:h")
  local here = dir
  while true do
    for _, marker in ipairs({ ".git", "pyproject.toml" }) do
      if vim.loop.fs_stat(here .. "/" .. marker) then
        return here
      end
    end
    local up = vim.fn.fnamemodify(here, ":h")
    if up == here then
      return dir
    end
    here = up
  end
end

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { "rrdsl", "lsp" }
  vim.filetype.add({ extension = { rrd = "rrdsl" } })
  local clients = {} -- Neovim 0.7: one client per root folder
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "rrdsl",
    callback = function(args)
      local root = root_dir(args.buf)
      local config = { name = "rrdsl", cmd = cmd, root_dir = root }
      if vim.lsp.start then
        vim.lsp.start(config, { bufnr = args.buf })
      else
        clients[root] = clients[root] or vim.lsp.start_client(config)
        vim.lsp.buf_attach_client(args.buf, clients[root])
      end
    end,
  })
end

return M
