package web

import "github.com/newsroom/commentd/commands"

// newCommands builds the write side the handlers call, over the log and
// the views this server reads.
func (s *Server) newCommands() *commands.Service {
	cc := commands.Config{
		Log: s.cfg.Log, Secret: s.cfg.Secret, MaxReplyDepth: s.cfg.MaxReplyDepth,
		Logger: s.log,
	}
	if s.cfg.Views != nil {
		cc.Views = commands.StoreViews(s.cfg.Views)
		cc.Registry = s.cfg.Registry
	}
	if s.cfg.Status != nil {
		cc.Status = s.cfg.Status
	}
	return commands.New(cc)
}
