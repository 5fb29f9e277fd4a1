//! The routes open to the public: limited before their body is read.
